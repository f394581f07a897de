#!/usr/bin/env node
// Azurite, run for a Fanout host: the same servers as `azurite`, plus
//  - owners: each host that uses this Azurite holds a TCP connection to the control port; the kernel closes it when
//    the host dies (even by kill -9). With no owner for --orphanGraceMs, Azurite saves and exits: it never outlives
//    its hosts for long, and a host that restarts within the grace adopts it (no second Azurite on one folder).
//  - consistent saves: Azurite keeps its metadata in five LokiJS databases, each saved on its own 5 s timer, so a
//    power loss could leave the queues from one moment and the tables from another (a deleted queue message whose
//    history row was never saved stalls an orchestration for good). Here all of them are saved together from one
//    synchronous cut (Node runs one thing at a time), at most every --saveIntervalMs, through a commit marker that
//    the next start completes; a host asks for a save ("flush") before it answers 202 Accepted.
// Control protocol, one line each way: "hello PID" -> "ok" (or the connection closes: stopping), "flush" -> "flushed",
// "stop-if-last" -> "stopping" (this was the only owner; Azurite saves and exits) or "kept".
"use strict";
const fs = require("fs");
const net = require("net");
const path = require("path");

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const packageDir = option("azurite-package");
const location = path.resolve(option("location"));
const ports = { blob: option("blobPort"), queue: option("queuePort"), table: option("tablePort") };
const orphanGraceMs = Number(option("orphanGraceMs", "10000"));
const saveIntervalMs = Number(option("saveIntervalMs", "1000"));
const commitMarker = path.join(location, "fanout-commit.json");
const logFile = path.join(location, "fanout-azurite.log");

for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", () => {}); // The host that started us may be gone: its pipe is closed. Never die of EPIPE.
}

function log(message) {
  const line = `${new Date().toISOString()} pid ${process.pid}: ${message}\n`;
  try {
    fs.appendFileSync(logFile, line);
  } catch {
    // The log is for diagnosis only.
  }
}

// A save that was interrupted after its marker was written is completed before Azurite reads its files.
function completeInterruptedSave() {
  if (fs.existsSync(commitMarker)) {
    const pending = JSON.parse(fs.readFileSync(commitMarker, "utf8"));
    for (const file of pending) {
      if (fs.existsSync(file + ".fanout-new")) {
        fs.renameSync(file + ".fanout-new", file);
      }
    }
    fs.unlinkSync(commitMarker);
    log(`completed an interrupted save of ${pending.length} database(s)`);
  }
  for (const name of fs.readdirSync(location)) {
    if (name.endsWith(".fanout-new")) {
      fs.unlinkSync(path.join(location, name)); // written before a crash, never committed
    }
  }
}

fs.mkdirSync(location, { recursive: true });
completeInterruptedSave();

// Azurite reads its options from process.argv when its modules load.
const azuriteArgs = [
  "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--location", location,
  "--blobHost", "127.0.0.1", "--blobPort", ports.blob,
  "--queueHost", "127.0.0.1", "--queuePort", ports.queue,
  "--tableHost", "127.0.0.1", "--tablePort", ports.table,
];
process.argv = [process.argv[0], path.join(packageDir, "dist", "src", "azurite.js"), ...azuriteArgs];
const dist = (p) => require(path.join(packageDir, "dist", "src", p));
const Environment = dist("common/Environment").default;
const { BlobServerFactory } = dist("blob/BlobServerFactory");
const QueueConfiguration = dist("queue/QueueConfiguration").default;
const QueueServer = dist("queue/QueueServer").default;
const queueConstants = dist("queue/utils/constants");
const TableConfiguration = dist("table/TableConfiguration").default;
const TableServer = dist("table/TableServer").default;
const tableConstants = dist("table/utils/constants");
const { setExtentMemoryLimit } = dist("common/ConfigurationBase");
const Logger = dist("common/Logger");

let servers = [];
let databases = [];
let stopping = false;
const owners = new Set();
let orphanTimer = null;
let saving = null; // the save in progress, if any
let lastSaveMs = 0;

// One cut of every dirty database, written beside the originals, then committed through the marker.
async function saveAll() {
  const dirty = databases.filter((db) => db.autosaveDirty());
  if (dirty.length === 0) {
    return;
  }
  const started = Date.now();
  const cut = dirty.map((db) => {
    db.autosaveClearFlags();
    return { file: db.filename, text: db.serialize() };
  });
  try {
    for (const { file, text } of cut) {
      await fs.promises.writeFile(file + ".fanout-new", text);
    }
    fs.writeFileSync(commitMarker, JSON.stringify(cut.map((c) => c.file)));
    for (const { file } of cut) {
      fs.renameSync(file + ".fanout-new", file);
    }
    fs.unlinkSync(commitMarker);
  } catch (err) {
    for (const db of dirty) {
      for (const collection of db.collections) {
        collection.dirty = true; // try again next time
      }
    }
    log(`save failed: ${err && err.message}`);
    throw err;
  }
  lastSaveMs = Date.now() - started;
}

// Saves never overlap; a flush that arrives during a save waits for it and then saves what came after.
function save() {
  const previous = saving || Promise.resolve();
  const next = previous.catch(() => {}).then(saveAll);
  saving = next.finally(() => {
    if (saving === next) {
      saving = null;
    }
  });
  return next;
}

function scheduleSaves() {
  // Adaptive: never spend more than about a fifth of the time serializing a large table store.
  const delay = Math.max(saveIntervalMs, 5 * lastSaveMs);
  setTimeout(() => {
    if (stopping) {
      return;
    }
    save().catch(() => {}).finally(scheduleSaves);
  }, delay).unref();
}

async function stop(reason) {
  if (stopping) {
    return;
  }
  stopping = true;
  log(`stopping: ${reason}`);
  control.close();
  for (const socket of owners) {
    socket.destroy();
  }
  // First stop serving (in-flight requests finish), then save: nothing acknowledged is left out of the last save.
  for (const db of databases) {
    db.autosave = false; // close() must not save a second, unsynchronised copy
  }
  await Promise.allSettled(servers.map((s) => s.close()));
  try {
    await save();
  } catch {
    // Logged in saveAll; exit anyway.
  }
  log("stopped");
  process.exit(0);
}

function checkOrphaned() {
  if (owners.size > 0 || stopping) {
    if (orphanTimer) {
      clearTimeout(orphanTimer);
      orphanTimer = null;
    }
    return;
  }
  if (!orphanTimer) {
    orphanTimer = setTimeout(() => stop(`no host for ${orphanGraceMs} ms`), orphanGraceMs);
  }
}

const control = net.createServer((socket) => {
  if (stopping) {
    socket.destroy();
    return;
  }
  socket.setEncoding("utf8");
  let buffer = "";
  let owner = false;
  socket.on("data", (chunk) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const command = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (command.startsWith("hello")) {
        if (stopping) {
          socket.destroy();
          return;
        }
        owner = true;
        owners.add(socket);
        checkOrphaned();
        log(`owner ${command.slice(5).trim()} attached (${owners.size} now)`);
        socket.write("ok\n");
      } else if (command === "flush") {
        save().then(() => socket.write("flushed\n"), (err) => socket.write(`error ${err && err.message}\n`));
      } else if (command === "stop-if-last") {
        if (owners.size <= 1) {
          socket.write("stopping\n");
          stop("the last host stopped");
        } else {
          owners.delete(socket);
          owner = false;
          socket.write("kept\n");
        }
      }
    }
  });
  const detach = () => {
    if (owner) {
      owner = false;
      owners.delete(socket);
      log(`an owner detached (${owners.size} left)`);
      checkOrphaned();
    }
  };
  socket.on("error", detach);
  socket.on("close", detach);
});

async function main() {
  // The same start as azurite's own main (dist/src/azurite.js), keeping the servers for the consistent saves.
  const env = new Environment();
  const blobServer = await new BlobServerFactory().createServer(env);
  queueConstants.DEFAULT_QUEUE_PERSISTENCE_ARRAY[0].locationPath = path.join(location, queueConstants.DEFAULT_QUEUE_PERSISTENCE_PATH);
  const queueConfig = new QueueConfiguration(env.queueHost(), env.queuePort(), env.queueKeepAliveTimeout(),
    path.join(location, queueConstants.DEFAULT_QUEUE_LOKI_DB_PATH), path.join(location, queueConstants.DEFAULT_QUEUE_EXTENT_LOKI_DB_PATH),
    queueConstants.DEFAULT_QUEUE_PERSISTENCE_ARRAY, !env.silent(), undefined, env.debug() !== undefined, await env.debug(),
    env.loose(), env.skipApiVersionCheck(), env.cert(), env.key(), env.pwd(), env.oauth(), env.disableProductStyleUrl(), env.inMemoryPersistence());
  const tableConfig = new TableConfiguration(env.tableHost(), env.tablePort(), env.tableKeepAliveTimeout(),
    path.join(location, tableConstants.DEFAULT_TABLE_LOKI_DB_PATH), env.debug() !== undefined, !env.silent(), undefined,
    await env.debug(), env.loose(), env.skipApiVersionCheck(), env.cert(), env.key(), env.pwd(), env.oauth(),
    env.disableProductStyleUrl(), env.inMemoryPersistence());
  Logger.configLogger(blobServer.config.enableDebugLog, blobServer.config.debugLogFilePath);
  const queueServer = new QueueServer(queueConfig);
  const tableServer = new TableServer(tableConfig);
  setExtentMemoryLimit(env, true);
  await blobServer.start();
  await queueServer.start();
  await tableServer.start();
  servers = [blobServer, queueServer, tableServer];
  databases = [blobServer.metadataStore, blobServer.extentMetadataStore, queueServer.metadataStore,
    queueServer.extentMetadataStore, tableServer.metadataStore].map((store) => store.db);
  for (const db of databases) {
    db.autosaveDisable(); // saved together by saveAll instead
  }
  scheduleSaves();

  await new Promise((resolve, reject) => {
    control.once("error", reject);
    control.listen(0, "127.0.0.1", resolve);
  });
  checkOrphaned();
  log(`listening: blob ${ports.blob}, queue ${ports.queue}, table ${ports.table}, control ${control.address().port}`);
  process.stdout.write(`FANOUT-AZURITE READY control=${control.address().port}\n`);
}

// Ctrl+C reaches the whole process group: the host drains first and then tells us to stop.
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
process.on("SIGTERM", () => stop("SIGTERM"));

main().catch((err) => {
  log(`failed to start: ${err && err.stack}`);
  process.stderr.write(`Exit due to unhandled error: ${err && err.message}\n`);
  process.exit(1);
});
