import { ProposalRepository } from '../approvals/proposal-repository.ts';
import type { Config } from '../config.ts';
import { openDatabase } from '../store/database.ts';
import { storageOf } from '../store/storage-monitor.ts';
import type { CliIo } from './cli-args.ts';
import { commandLogger } from './command-logger.ts';

/** `llmops proposals`: the proposals awaiting a decision, read from the database alone. */
export async function runProposalsCommand(config: Config, io: CliIo): Promise<number> {
  const db = openDatabase(config.DATA_DIR);
  try {
    storageOf(db).attach({ logger: commandLogger(config, io.stderr) });
    const open = new ProposalRepository(db).inState(['pending']);
    io.stdout.write(
      open.length === 0
        ? 'No proposals await approval.\n'
        : `${open.map((p) => `#${p.id} ${p.tool} by ${p.requester}, expires ${p.expiresAt.toISOString()}: ${p.plan}`).join('\n')}\n`,
    );
    return 0;
  } finally {
    db.close();
  }
}
