import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface PackageJson {
  name: string;
  version: string;
  description: string;
}

// Same relative depth from src/cli/ and dist/cli/.
export const PACKAGE: Readonly<PackageJson> = Object.freeze(
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as PackageJson,
);
