// Azurite's package `main` is its VS Code extension, so the Table and Queue services are reached
// through deep imports that ship without type declarations; only what tools/azurite.ts uses is typed.

declare module 'azurite/dist/src/table/TableConfiguration' {
  export default class TableConfiguration {
    constructor(
      host?: string,
      port?: number,
      keepAliveTimeout?: number,
      metadataDBPath?: string,
      enableDebugLog?: boolean,
      enableAccessLog?: boolean,
      accessLogWriteStream?: NodeJS.WritableStream,
      debugLogFilePath?: string,
      loose?: boolean,
      skipApiVersionCheck?: boolean,
      cert?: string,
      key?: string,
      pwd?: string,
      oauth?: string,
      disableProductStyleUrl?: boolean,
      isMemoryPersistence?: boolean,
    );
  }
}

// Both services' servers extend Azurite's ServerBase, which holds what the tools use.
declare module 'azurite/dist/src/common/ServerBase' {
  import type { Server } from 'node:http';

  export default class ServerBase {
    readonly httpServer: Server;
    start(): Promise<void>;
    close(): Promise<void>;
    /** `http://HOST:PORT` once listening (the real port when started on port 0). */
    getHttpServerAddress(): string;
  }
}

declare module 'azurite/dist/src/table/TableServer' {
  import type ServerBase from 'azurite/dist/src/common/ServerBase';
  import type TableConfiguration from 'azurite/dist/src/table/TableConfiguration';

  export default class TableServer extends ServerBase {
    constructor(configuration?: TableConfiguration);
  }
}

declare module 'azurite/dist/src/queue/QueueConfiguration' {
  export default class QueueConfiguration {
    constructor(
      host?: string,
      port?: number,
      keepAliveTimeout?: number,
      metadataDBPath?: string,
      extentDBPath?: string,
      persistencePathArray?: { locationId: string; locationPath: string; maxConcurrency: number }[],
      enableAccessLog?: boolean,
      accessLogWriteStream?: NodeJS.WritableStream,
      enableDebugLog?: boolean,
      debugLogFilePath?: string,
      loose?: boolean,
      skipApiVersionCheck?: boolean,
      cert?: string,
      key?: string,
      pwd?: string,
      oauth?: string,
      disableProductStyleUrl?: boolean,
      isMemoryPersistence?: boolean,
    );
  }
}

declare module 'azurite/dist/src/queue/QueueServer' {
  import type ServerBase from 'azurite/dist/src/common/ServerBase';
  import type QueueConfiguration from 'azurite/dist/src/queue/QueueConfiguration';

  export default class QueueServer extends ServerBase {
    constructor(configuration?: QueueConfiguration);
  }
}
