/** The `--layer-compression gzip|zstd` option shared by build, verify and export (ADR 0169). */
import { StrataError } from '../errors.js';
import type { PinnedLayerCompression } from '../store/recompress.js';
import { stringOpt, type OptionSpec, type ParsedCommand } from './args.js';

export const LAYER_COMPRESSION_OPTION: OptionSpec = {
  type: 'string',
  valueName: 'gzip|zstd',
  description: "layer compression: gzip (default) or zstd (strata's pinned zstd encoder; other digests than gzip, part of the cache key)",
};

export function layerCompressionOpt(p: ParsedCommand, command: string): PinnedLayerCompression | undefined {
  const v = stringOpt(p, 'layer-compression');
  if (v === undefined) return undefined;
  if (v !== 'gzip' && v !== 'zstd') {
    throw new StrataError('cli/usage', `${command}: --layer-compression must be gzip or zstd, got '${v}'`, {
      hint: `run 'strata ${command} --help'`,
    });
  }
  return v;
}
