import { runDoctorCommand } from './doctorCommand';

// Exit explicitly: SDK clients may hold sockets or timers open.
void runDoctorCommand(process.argv.slice(2)).then((exitCode) => process.exit(exitCode));
