/**
 * Imported first by every entry point (streamd, streamtui, the audio child): optimizing compiles
 * run on the main thread. Node 20 can deadlock at exit when a background optimizing compile waits
 * for a garbage collection that the exiting main thread never runs (nodejs/node#54918, open): the
 * process then hangs forever instead of exiting. Seen here in about one exit in thirty of a test
 * that loads the Opus codec (a large WebAssembly glue module); gone with this flag in 240 runs.
 */
import v8 from 'node:v8';

v8.setFlagsFromString('--no-concurrent-recompilation');
