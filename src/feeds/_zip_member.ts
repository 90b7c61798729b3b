/**
 * Takes one file out of a downloaded zip archive (PKWARE APPNOTE 6.3: the central directory at
 * the end names the members; each is stored or deflated). The rule for which member: the one
 * file of the archive (folders and `__MACOSX/` resources do not count), or the one the feed's
 * `zip_member` names; an archive with several files and no `zip_member` fails the download.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { createInflateRaw } from "node:zlib";
import { FeedError } from "./feed_error.ts";

/** The first bytes of a zip archive (a local file header). */
export const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04] as const;

interface Member {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeader: number;
}

/**
 * Writes the chosen member of the zip at `archive` to `out`; returns its name. Fails with a
 * FeedError naming what was found for: no central directory, no file, several files and no
 * `member`, a `member` the archive lacks, encryption, zip64, a method other than stored or
 * deflate, or a member larger than `maxBytes` once inflated.
 */
export async function extractZipMember(archive: string, out: string, member: string | undefined, maxBytes: number): Promise<string> {
  const members = await readCentralDirectory(archive);
  const files = members.filter((m) => !m.name.endsWith("/") && !m.name.startsWith("__MACOSX/"));
  const names = files.map((m) => m.name).join(", ");
  let chosen: Member | undefined;
  if (member !== undefined) {
    chosen = files.find((m) => m.name === member);
    if (chosen === undefined) throw new FeedError(`zip_member "${member}" is not in the archive: found ${names || "no file"}`);
  } else if (files.length === 1) {
    chosen = files[0]!;
  } else {
    throw new FeedError(`the zip archive must hold one file, or zip_member must name one: found ${files.length === 0 ? "no file" : `${files.length} files (${names})`}`);
  }
  if (chosen.flags & 1) throw new FeedError(`zip member ${chosen.name} is encrypted: expected a plain archive`);
  if (chosen.method !== 0 && chosen.method !== 8) throw new FeedError(`zip member ${chosen.name} uses compression method ${chosen.method}: expected 0 (stored) or 8 (deflate)`);
  if (chosen.size > maxBytes) throw new FeedError(`zip member ${chosen.name} is ${chosen.size} bytes: exceeds max_decompressed_size ${maxBytes}`);
  const start = await dataOffset(archive, chosen);
  const raw = createReadStream(archive, { start, end: start + chosen.compressedSize - 1 });
  let written = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      written += chunk.length;
      if (written > maxBytes) return done(new FeedError(`zip member ${chosen.name} exceeds max_decompressed_size ${maxBytes} once inflated`));
      done(null, chunk);
    },
  });
  try {
    if (chosen.method === 8) await pipeline(raw, createInflateRaw(), cap, createWriteStream(out));
    else await pipeline(raw, cap, createWriteStream(out));
  } catch (error) {
    if (error instanceof FeedError) throw error;
    throw new FeedError(`cannot inflate zip member ${chosen.name}: ${(error as Error).message}`);
  }
  if (written !== chosen.size) throw new FeedError(`zip member ${chosen.name} is cut short: found ${written} bytes, expected ${chosen.size}`);
  return chosen.name;
}

async function readCentralDirectory(archive: string): Promise<Member[]> {
  const file = await open(archive, "r");
  try {
    const { size } = await file.stat();
    // The end record is 22 bytes plus a comment of at most 65535.
    const tailLength = Math.min(size, 22 + 65_535);
    const tail = Buffer.alloc(tailLength);
    await file.read(tail, 0, tailLength, size - tailLength);
    let end = -1;
    for (let i = tailLength - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        end = i;
        break;
      }
    }
    if (end < 0) throw new FeedError("the zip archive has no central directory: found no end record, expected a complete archive");
    const count = tail.readUInt16LE(end + 10);
    const cdSize = tail.readUInt32LE(end + 12);
    const cdOffset = tail.readUInt32LE(end + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw new FeedError("the zip archive is zip64: expected a zip under 4 GiB");
    if (cdOffset + cdSize > size) throw new FeedError(`the zip archive is cut short: found ${size} bytes, expected at least ${cdOffset + cdSize}`);
    const cd = Buffer.alloc(cdSize);
    await file.read(cd, 0, cdSize, cdOffset);
    const members: Member[] = [];
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (at + 46 > cdSize || cd.readUInt32LE(at) !== 0x02014b50) throw new FeedError(`the zip archive's central directory is corrupt at entry ${i + 1}`);
      const nameLength = cd.readUInt16LE(at + 28);
      members.push({
        flags: cd.readUInt16LE(at + 8),
        method: cd.readUInt16LE(at + 10),
        compressedSize: cd.readUInt32LE(at + 20),
        size: cd.readUInt32LE(at + 24),
        localHeader: cd.readUInt32LE(at + 42),
        name: cd.toString("utf8", at + 46, at + 46 + nameLength),
      });
      at += 46 + nameLength + cd.readUInt16LE(at + 30) + cd.readUInt16LE(at + 32);
    }
    return members;
  } finally {
    await file.close();
  }
}

/** Where a member's data starts: after its local header, whose name and extra lengths may differ from the central directory's. */
async function dataOffset(archive: string, member: Member): Promise<number> {
  const file = await open(archive, "r");
  try {
    const header = Buffer.alloc(30);
    await file.read(header, 0, 30, member.localHeader);
    if (header.readUInt32LE(0) !== 0x04034b50) throw new FeedError(`zip member ${member.name} has no local header at byte ${member.localHeader}`);
    return member.localHeader + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  } finally {
    await file.close();
  }
}
