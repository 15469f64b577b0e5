/**
 * The smallest static i386 ELF executable: `exit(status)` through int 0x80. Built in
 * memory (never committed) so `strata doctor` can test i386 execution without binutils.
 */
const BASE = 0x08048000;
const EHDR = 52;
const PHDR = 32;

export function i386ExitElf(status: number): Buffer {
  if (!Number.isInteger(status) || status < 0 || status > 255) throw new RangeError('status must be 0..255');
  // mov eax, 1 ; mov ebx, status ; int 0x80
  const code = Buffer.from([0xb8, 1, 0, 0, 0, 0xbb, status, 0, 0, 0, 0xcd, 0x80]);
  const size = EHDR + PHDR + code.length;
  const b = Buffer.alloc(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0], 0); // ELF, 32-bit, little endian, version 1, SYSV
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(3, 18); // EM_386
  b.writeUInt32LE(1, 20); // EV_CURRENT
  b.writeUInt32LE(BASE + EHDR + PHDR, 24); // entry
  b.writeUInt32LE(EHDR, 28); // phoff
  b.writeUInt32LE(0, 32); // shoff
  b.writeUInt32LE(0, 36); // flags
  b.writeUInt16LE(EHDR, 40);
  b.writeUInt16LE(PHDR, 42);
  b.writeUInt16LE(1, 44); // phnum
  // one PT_LOAD segment covering the whole file, read + execute
  const p = EHDR;
  b.writeUInt32LE(1, p);
  b.writeUInt32LE(0, p + 4);
  b.writeUInt32LE(BASE, p + 8);
  b.writeUInt32LE(BASE, p + 12);
  b.writeUInt32LE(size, p + 16);
  b.writeUInt32LE(size, p + 20);
  b.writeUInt32LE(5, p + 24);
  b.writeUInt32LE(0x1000, p + 28);
  code.copy(b, EHDR + PHDR);
  return b;
}
