import { newId, num, type Row, type Sql, str } from "./sql.ts";

/** A person with a library. */
export interface User {
  id: string;
  createdAt: number;
}

const toUser = (r: Row): User => ({ id: str(r.id), createdAt: num(r.created_at) });

/** The `users` table. */
export class UserStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Creates a user with a fresh id. */
  create(now: number): User {
    const user = { id: newId("user_", 12), createdAt: now };
    this.#sql.run("INSERT INTO users (id, created_at) VALUES (?, ?)", user.id, user.createdAt);
    return user;
  }

  /** The user with this id. */
  get(id: string): User | undefined {
    const row = this.#sql.get("SELECT * FROM users WHERE id = ?", id);
    return row && toUser(row);
  }

  /** All users, oldest first. */
  list(): User[] {
    return this.#sql.all("SELECT * FROM users ORDER BY created_at, id").map(toUser);
  }
}
