import { rmSync } from 'fs';
import { join } from 'path';

/** Starts each jest run with no recorded error messages. */
export default function globalSetup(): void {
  rmSync(join(__dirname, '..', '..', 'test-reports', 'error-messages'), { recursive: true, force: true });
}
