/*
 * `npm run package:azure`, which azd runs as the service's prepackage hook: builds the
 * deployment package in .deploy/ (see appPackage.ts), which azd then zips and deploys as it is.
 */
import { join } from 'node:path';
import { PACKAGE_FOLDER, stageAppPackage } from './appPackage';

const root = join(__dirname, '..', '..');
const size = stageAppPackage(root, join(root, PACKAGE_FOLDER));
console.log(`${PACKAGE_FOLDER}: ${size.files} files, ${(size.bytes / 1024 / 1024).toFixed(1)} MB`);
