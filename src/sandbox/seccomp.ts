/**
 * A classic-BPF seccomp program (bubblewrap --seccomp) that stops a RUN from creating
 * user namespaces (ADR 0070). Inside a new user namespace a process would regain
 * CAP_SYS_ADMIN over namespaces it creates and could mount there; Docker's default
 * profile blocks the same. clone3 passes its flags in memory a filter cannot read, so
 * it fails with ENOSYS and libc falls back to clone, whose flags are checked.
 * Both x86 ABIs are covered; the x32 ABI is refused outright.
 */

const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0_LOW = 16; // little endian: low 32 bits of args[0]

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const X32_SYSCALL_BIT = 0x40000000;
const CLONE_NEWUSER = 0x10000000;

const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

interface Syscalls {
  readonly unshare: number;
  readonly clone: number;
  readonly clone3: number;
}
const X86_64: Syscalls = { unshare: 272, clone: 56, clone3: 435 };
const I386: Syscalls = { unshare: 310, clone: 120, clone3: 435 };

type Insn = [code: number, jt: number, jf: number, k: number];

/** Instructions for one ABI, starting right after the arch check; jumps are relative. */
function abiBlock(s: Syscalls, rejectX32: boolean): Insn[] {
  const block: Insn[] = [[LD_W_ABS, 0, 0, OFF_NR]];
  if (rejectX32) block.push([JGE_K, 0, 1, X32_SYSCALL_BIT], [RET_K, 0, 0, RET_ERRNO | EPERM]);
  block.push(
    [JEQ_K, 0, 1, s.clone3],
    [RET_K, 0, 0, RET_ERRNO | ENOSYS],
    [JEQ_K, 1, 0, s.unshare],
    [JEQ_K, 0, 3, s.clone],
    [LD_W_ABS, 0, 0, OFF_ARG0_LOW],
    [JSET_K, 0, 1, CLONE_NEWUSER],
    [RET_K, 0, 0, RET_ERRNO | EPERM],
    [RET_K, 0, 0, RET_ALLOW],
  );
  return block;
}

export function noUserNamespaceFilter(): Buffer {
  const x64 = abiBlock(X86_64, true);
  const x86 = abiBlock(I386, false);
  const program: Insn[] = [
    [LD_W_ABS, 0, 0, OFF_ARCH],
    [JEQ_K, 0, x64.length, AUDIT_ARCH_X86_64],
    ...x64,
    [JEQ_K, 0, x86.length, AUDIT_ARCH_I386],
    ...x86,
    [RET_K, 0, 0, RET_ERRNO | EPERM], // any other ABI
  ];
  const buf = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    buf.writeUInt16LE(code, i * 8);
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
    buf.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buf;
}
