/** The two DOM helpers every part of the page uses. */

/**
 * The page's element with this id.
 *
 * @param id - An id from `index.html`.
 * @returns The element.
 * @throws Error when the page has no such element.
 */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/**
 * Creates an element with attributes and children (text is always set as text, never as HTML).
 *
 * @param tag - The element's tag name.
 * @param attributes - Attributes to set.
 * @param children - Nodes or text to append.
 * @returns The element.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}
