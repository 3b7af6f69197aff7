// Runs a command for a test or runner in its own process group and collects its output; the whole
// group is killed on timeout, or when this process exits first, so nothing is left running.
import { spawn } from "node:child_process";

/**
 * Runs `command` with `args`. Resolves with `{ code, stdout, stderr }`; never rejects on a non-zero
 * exit (only when the command cannot be started).
 * @param {string} command the executable
 * @param {string[]} args its arguments
 * @param {{ cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number }} options folder, full environment, time limit
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
export function runProcess(command, args, { cwd, env, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      stderr += `\n[run-process] killed after ${timeoutMs} ms`;
      kill();
    }, timeoutMs);
    process.once("exit", kill);
    const settle = () => {
      clearTimeout(timer);
      process.off("exit", kill);
    };
    child.once("error", (error) => {
      settle();
      reject(error);
    });
    child.once("close", (code) => {
      settle();
      resolve({ code, stdout, stderr });
    });
  });
}
