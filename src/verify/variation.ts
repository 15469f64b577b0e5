/**
 * The variation plan of `strata verify --vary`: for each thing strata must not depend on,
 * the value the reference build had (this host's settings, which `strata build` here
 * uses) and the value the rebuild gets. Pure data from host facts gathered at the edge
 * (verify.ts); the rebuild child process applies `setup`.
 */

export interface HostFacts {
  /** The tree as the user keeps it (the reference build directory). */
  readonly treeDir: string;
  /** Where the rebuild's copy of the tree goes (already chosen, longer under --vary). */
  readonly rebuildTreeDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly umask: number;
  /** CPUs this process may run on. */
  readonly cpus: readonly number[];
  /** The job count a plain `strata build` uses. */
  readonly jobs: number;
  /** `faketime` (Debian package faketime) is installed. */
  readonly faketime: boolean;
  /** `taskset` (util-linux) is installed. */
  readonly taskset: boolean;
  /** The build core offers a reversed-readdir hook. */
  readonly readdirHook: boolean;
  /**
   * How the file system holding the rebuild's tree copy lists a directory: in creation
   * order, in reverse creation order (tmpfs), or by hash (ext4), which no copy order changes.
   */
  readonly copyListing: 'creation' | 'reverse-creation' | 'hashed';
}

export interface Variation {
  readonly name: 'build-dir' | 'TZ' | 'umask' | 'LANG' | 'LC_ALL' | 'jobs' | 'cpu-affinity' | 'clock' | 'context-order';
  readonly reference: string;
  readonly rebuild: string;
  /** False when the host cannot apply it (the reason is in `rebuild`). */
  readonly applied: boolean;
}

/** What the rebuild child process is given. */
export interface RebuildSetup {
  /** Environment variables set (or replaced) for the child. */
  readonly env: Readonly<Record<string, string>>;
  readonly umask: number;
  readonly jobs: number;
  /** Programs the child runs under, e.g. ['taskset', '-c', '0', 'faketime', '-f', '+400d']. */
  readonly argvPrefix: readonly string[];
  /** Copy the tree creating entries in reverse name order (on tmpfs, readdir returns them reversed). */
  readonly reverseCopyOrder: boolean;
  /** Ask the build core to list directories in reverse order. */
  readonly readdirReverse: boolean;
}

export interface VariationPlan {
  readonly vary: boolean;
  readonly variations: readonly Variation[];
  readonly setup: RebuildSetup;
}

/** How far the clock is moved for the rebuild. */
export const CLOCK_SHIFT = '+400d';
const TIMEZONES = ['Pacific/Chatham', 'America/St_Johns'];
const LOCALES = ['tr_TR.UTF-8', 'de_DE.UTF-8'];

function shown(v: string | undefined): string {
  return v === undefined || v === '' ? '(unset)' : v;
}

function other(current: string | undefined, choices: readonly string[]): string {
  return choices.find((c) => c !== current) ?? choices[0]!;
}

export function octalUmask(u: number): string {
  return `0${(u & 0o777).toString(8).padStart(3, '0')}`;
}

/** "0-3,6" style list of CPU numbers. */
export function cpuList(cpus: readonly number[]): string {
  const s = [...cpus].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',') || '(unknown)';
}

export function variationPlan(host: HostFacts, vary: boolean): VariationPlan {
  const env = host.env;
  const tz = other(env['TZ'], TIMEZONES);
  const lang = other(env['LANG'], LOCALES);
  const lcAll = other(env['LC_ALL'], LOCALES);
  const umask = host.umask === 0o077 ? 0o002 : 0o077;
  const jobs = host.jobs === 1 ? 2 : 1;
  const canPin = host.taskset && host.cpus.length > 1;
  const pinned = host.cpus.length ? [Math.max(...host.cpus)] : [];
  const variations: Variation[] = [
    { name: 'build-dir', reference: host.treeDir, rebuild: host.rebuildTreeDir, applied: true },
    { name: 'TZ', reference: shown(env['TZ']), rebuild: vary ? tz : shown(env['TZ']), applied: vary },
    { name: 'umask', reference: octalUmask(host.umask), rebuild: octalUmask(vary ? umask : host.umask), applied: vary },
    { name: 'LANG', reference: shown(env['LANG']), rebuild: vary ? lang : shown(env['LANG']), applied: vary },
    { name: 'LC_ALL', reference: shown(env['LC_ALL']), rebuild: vary ? lcAll : shown(env['LC_ALL']), applied: vary },
    { name: 'jobs', reference: String(host.jobs), rebuild: String(vary ? jobs : host.jobs), applied: vary },
    {
      name: 'cpu-affinity',
      reference: cpuList(host.cpus),
      rebuild: !vary ? cpuList(host.cpus) : canPin ? cpuList(pinned) : `${cpuList(host.cpus)} (not varied: ${host.taskset ? 'only one CPU' : "no taskset; install Debian's util-linux"})`,
      applied: vary && canPin,
    },
    {
      name: 'clock',
      reference: 'real clock',
      rebuild: !vary
        ? 'real clock (later than the reference build)'
        : host.faketime
          ? `real clock ${CLOCK_SHIFT} for strata (faketime); RUN steps see the real clock, later than the reference build`
          : "real clock, later than the reference build (not shifted: install Debian's faketime)",
      applied: vary && host.faketime,
    },
    contextOrder(host, vary),
  ];
  const setup: RebuildSetup = vary
    ? {
        env: { TZ: tz, LANG: lang, LC_ALL: lcAll },
        umask,
        jobs,
        argvPrefix: [...(canPin ? ['taskset', '-c', cpuList(pinned)] : []), ...(host.faketime ? ['faketime', '-f', CLOCK_SHIFT] : [])],
        reverseCopyOrder: host.copyListing !== 'reverse-creation',
        readdirReverse: host.readdirHook,
      }
    : { env: {}, umask: host.umask, jobs: host.jobs, argvPrefix: [], reverseCopyOrder: false, readdirReverse: false };
  return { vary, variations, setup };
}

function contextOrder(host: HostFacts, vary: boolean): Variation {
  const reference = 'tree as checked out, directories listed in the order its file system returns';
  if (!vary) return { name: 'context-order', reference, rebuild: 'tree copy, directories listed in the order its file system returns', applied: false };
  const hook = host.readdirHook ? '; the build core lists directories in reverse' : '';
  if (host.copyListing === 'hashed') {
    return {
      name: 'context-order',
      reference,
      rebuild: host.readdirHook
        ? `directories listed in reverse by the build core (the copy's file system orders entries by hash)`
        : "not varied: the copy's file system orders entries by hash and the build core has no readdir hook",
      applied: host.readdirHook,
    };
  }
  const how = host.copyListing === 'creation' ? 'created in reverse name order on a file system that lists in creation order' : 'created in name order on a file system that lists newest first (tmpfs)';
  return { name: 'context-order', reference, rebuild: `tree copy whose raw directory order is reverse name order (${how}; node's fs.readdir sorts names, fs.opendir sees the raw order)${hook}`, applied: true };
}
