/**
 * The version both programs report (the greeting `OK streamd <version>`, `--version`). Kept here
 * as a constant so that common/ reads no file; a test ties it to package.json's.
 */
export const VERSION = '0.1.0';
