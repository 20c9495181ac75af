/*
 * The deployment package's size: what `azd deploy` zips and uploads (see ../appPackage.ts).
 * Method: stages the package from the built dist/ into a temporary folder, with the same
 * production-only `npm ci` the prepackage hook runs, and counts its files and bytes. Every
 * file counts against cold start (the host loads from it) and the upload.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageAppPackage } from '../appPackage';
import { count, MB } from './benchFormat';
import type { BenchRow } from './benchRow';

const sizeTargetMb = 60;

export function benchPackageSize(): BenchRow[] {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-package-'));
  try {
    const size = stageAppPackage(join(__dirname, '..', '..', '..'), join(scratch, 'package'));
    return [
      {
        measure: 'deployment package (compiled app + production dependencies)',
        value: `${count(size.files)} files, ${(size.bytes / MB).toFixed(1)} MB`,
        target: `< ${sizeTargetMb} MB`,
        met: size.bytes < sizeTargetMb * MB,
      },
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
