/**
 * Files over SFTP: one session per connection (opened on the first upload), `~/` as the login user's
 * home, the directory created, and the content written to a temporary file that is renamed over the
 * target, so a reader never sees half a file.
 */
import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import type { Client, SFTPWrapper } from "ssh2";
import { errText } from "../../util/err-text.ts";
import { TransportError } from "../transport.ts";
import type { Peer } from "./peer.ts";

export class RemoteFiles {
  private session?: Promise<SFTPWrapper>;
  private home?: Promise<string>;

  /** The connection closed: the next upload opens a new session (and asks for the home again). */
  forget(): void {
    this.session = undefined;
    this.home = undefined;
  }

  /** Writes `content` to `path` with `mode`; every failure is an "upload-failed" naming the machine. */
  async upload(client: Client, peer: Peer, path: string, content: string, mode: number): Promise<void> {
    const fail = (e: unknown): never => {
      if (e instanceof TransportError) throw e;
      throw new TransportError(
        "upload-failed",
        `cannot write ${path} on ${peer.label}: ${errText(e)}`,
        peer.host,
      );
    };
    let sftp: SFTPWrapper;
    let full: string;
    try {
      sftp = await this.sftp(client);
      full = await this.remotePath(sftp, path);
    } catch (e) {
      return fail(e);
    }
    const dir = posix.dirname(full);
    const tmp = posix.join(dir, `.${posix.basename(full)}.runbook-${randomBytes(4).toString("hex")}.tmp`);
    try {
      await mkdirs(sftp, dir);
      await cb<void>((done) => sftp.writeFile(tmp, content, { mode }, done));
      // The server's umask applies to the mode given at creation.
      await cb<void>((done) => sftp.chmod(tmp, mode, done));
      await rename(sftp, tmp, full);
    } catch (e) {
      await cb<void>((done) => sftp.unlink(tmp, done)).catch(() => {});
      fail(e);
    }
  }

  private sftp(client: Client): Promise<SFTPWrapper> {
    if (!this.session) {
      const p = new Promise<SFTPWrapper>((res, rej) => {
        client.sftp((err, sftp) => {
          if (err) return rej(err);
          sftp.on("close", () => {
            if (this.session === p) {
              this.session = undefined;
              this.home = undefined;
            }
          });
          res(sftp);
        });
      });
      this.session = p;
      p.catch(() => {
        if (this.session === p) this.session = undefined;
      });
    }
    return this.session;
  }

  private async remotePath(sftp: SFTPWrapper, path: string): Promise<string> {
    if (path.startsWith("/")) return path;
    if (!this.home) {
      const h = cb<string>((done) => sftp.realpath(".", done));
      this.home = h;
      h.catch(() => {
        if (this.home === h) this.home = undefined;
      });
    }
    const home = await this.home;
    if (path === "~") return home;
    return posix.join(home, path.startsWith("~/") ? path.slice(2) : path);
  }
}

async function mkdirs(sftp: SFTPWrapper, dir: string): Promise<void> {
  if (dir === "/" || dir === "." || dir === "") return;
  const st = await cb<{ isDirectory(): boolean }>((done) => sftp.stat(dir, done)).catch(() => undefined);
  if (st) {
    if (!st.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
    return;
  }
  await mkdirs(sftp, posix.dirname(dir));
  try {
    await cb<void>((done) => sftp.mkdir(dir, done));
  } catch (e) {
    const again = await cb<{ isDirectory(): boolean }>((done) => sftp.stat(dir, done)).catch(() => undefined);
    if (!again?.isDirectory()) throw new Error(`cannot create directory ${dir}: ${errText(e)}`);
  }
}

async function rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await cb<void>((done) => sftp.ext_openssh_rename(from, to, done));
  } catch (e) {
    if (!/not supported/i.test(errText(e))) throw e;
    // Plain SFTP rename refuses to replace an existing file.
    await cb<void>((done) => sftp.unlink(to, done)).catch(() => {});
    await cb<void>((done) => sftp.rename(from, to, done));
  }
}

/** An ssh2 callback call as a promise (a synchronous throw rejects it too). */
function cb<T>(f: (done: (err: Error | undefined | null, v: T) => void) => void): Promise<T> {
  return new Promise<T>((res, rej) => {
    try {
      f((err, v) => (err ? rej(err) : res(v)));
    } catch (e) {
      rej(e);
    }
  });
}
