/**
 * The typed Containerfile AST. Every node carries a 1-based line:col location in the file
 * it came from. Words are kept unexpanded (exactly as written, after continuation joining
 * and flag removal); expansion happens in plan/build with `expandWord` and the ARG/ENV
 * scope of that point.
 *
 * This file is the contract between the parser (containerfile/) and its users
 * (plan/, build/, audit). Pure data: no I/O.
 */

export interface Loc {
  readonly line: number;
  readonly col: number;
}

/** `--name=value` or bare `--name` (value undefined). */
export interface Flag {
  readonly name: string;
  readonly value: string | undefined;
  readonly loc: Loc;
}

export interface Heredoc {
  /** Delimiter word without quotes, e.g. EOF. */
  readonly delimiter: string;
  /** True if the delimiter was quoted ('EOF' or "EOF"): body is not expanded. */
  readonly quoted: boolean;
  /** True for <<-EOF: leading tabs stripped from body lines. */
  readonly stripTabs: boolean;
  /** Body with the final newline of each line kept; tabs already stripped for <<-. */
  readonly body: string;
  /** Location of the `<<` marker. */
  readonly loc: Loc;
}

export type CommandForm =
  | { readonly form: 'exec'; readonly argv: readonly string[] }
  | { readonly form: 'shell'; readonly script: string };

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly loc: Loc;
}

interface Base {
  readonly loc: Loc;
  /** Last line the instruction occupies (continuations and heredoc bodies included). */
  readonly endLine: number;
  readonly flags: readonly Flag[];
}

export interface FromInstruction extends Base {
  readonly kind: 'FROM';
  /** Image word as written (may contain $ARG). */
  readonly image: string;
  readonly platform: string | undefined;
  /** Stage name after AS, lower-cased as BuildKit does. */
  readonly alias: string | undefined;
}

export interface ArgInstruction extends Base {
  readonly kind: 'ARG';
  readonly args: readonly { readonly name: string; readonly default: string | undefined; readonly loc: Loc }[];
}

export interface EnvInstruction extends Base {
  readonly kind: 'ENV';
  readonly pairs: readonly KeyValue[];
}

export interface LabelInstruction extends Base {
  readonly kind: 'LABEL';
  readonly pairs: readonly KeyValue[];
}

export interface RunInstruction extends Base {
  readonly kind: 'RUN';
  readonly command: CommandForm;
  /** --network value; undefined means "default". */
  readonly network: 'default' | 'none' | 'host' | undefined;
  readonly heredocs: readonly Heredoc[];
}

export interface CopyInstruction extends Base {
  readonly kind: 'COPY';
  readonly from: string | undefined;
  readonly chown: string | undefined;
  readonly chmod: string | undefined;
  readonly link: boolean;
  /** Source words (unexpanded). Heredoc sources appear as `<<NAME` words with a matching heredoc. */
  readonly sources: readonly string[];
  readonly dest: string;
  readonly heredocs: readonly Heredoc[];
}

export interface AddInstruction extends Base {
  readonly kind: 'ADD';
  readonly checksum: string | undefined;
  readonly chown: string | undefined;
  readonly chmod: string | undefined;
  readonly link: boolean;
  readonly sources: readonly string[];
  readonly dest: string;
  readonly heredocs: readonly Heredoc[];
}

export interface WorkdirInstruction extends Base {
  readonly kind: 'WORKDIR';
  readonly path: string;
}

export interface UserInstruction extends Base {
  readonly kind: 'USER';
  readonly user: string;
}

export interface EntrypointInstruction extends Base {
  readonly kind: 'ENTRYPOINT';
  readonly command: CommandForm;
}

export interface CmdInstruction extends Base {
  readonly kind: 'CMD';
  readonly command: CommandForm;
}

export interface ShellInstruction extends Base {
  readonly kind: 'SHELL';
  readonly argv: readonly string[];
}

export interface ExposeInstruction extends Base {
  readonly kind: 'EXPOSE';
  readonly ports: readonly string[];
}

export interface VolumeInstruction extends Base {
  readonly kind: 'VOLUME';
  readonly paths: readonly string[];
}

export interface StopsignalInstruction extends Base {
  readonly kind: 'STOPSIGNAL';
  readonly signal: string;
}

export interface HealthcheckInstruction extends Base {
  readonly kind: 'HEALTHCHECK';
  /** undefined for HEALTHCHECK NONE */
  readonly command: CommandForm | undefined;
  readonly interval: string | undefined;
  readonly timeout: string | undefined;
  readonly startPeriod: string | undefined;
  readonly startInterval: string | undefined;
  readonly retries: string | undefined;
}

export interface MaintainerInstruction extends Base {
  readonly kind: 'MAINTAINER';
  readonly name: string;
}

export type Instruction =
  | FromInstruction
  | ArgInstruction
  | EnvInstruction
  | LabelInstruction
  | RunInstruction
  | CopyInstruction
  | AddInstruction
  | WorkdirInstruction
  | UserInstruction
  | EntrypointInstruction
  | CmdInstruction
  | ShellInstruction
  | ExposeInstruction
  | VolumeInstruction
  | StopsignalInstruction
  | HealthcheckInstruction
  | MaintainerInstruction;

export type InstructionKind = Instruction['kind'];

export interface Stage {
  /** 0-based stage index (usable as COPY --from=<index>). */
  readonly index: number;
  readonly from: FromInstruction;
  /** Alias from `FROM … AS name`, lower-cased. */
  readonly name: string | undefined;
  /** Instructions after FROM, in order (FROM itself excluded). */
  readonly instructions: readonly Instruction[];
}

export interface Directives {
  readonly syntax: string | undefined;
  /** The escape character: '\\' (default) or '`'. */
  readonly escape: '\\' | '`';
}

export interface Containerfile {
  /** The file name errors should name. */
  readonly file: string;
  readonly directives: Directives;
  /** ARG instructions before the first FROM. */
  readonly globalArgs: readonly ArgInstruction[];
  readonly stages: readonly Stage[];
}
