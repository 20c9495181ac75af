import { runInvokeCommand } from './invokeCommand';

// Exit explicitly: SDK clients the function built may hold sockets or timers open.
void runInvokeCommand(process.argv.slice(2)).then((exitCode) => process.exit(exitCode));
