import { InMemoryMigrationLedger } from '../../../src/ledger/in-memory-ledger.ts';
import {
  describeLedgerContract,
  describeRecordClaimContract,
} from '../../helpers/ledger-contract.ts';

const inMemory = async (now: () => number) => new InMemoryMigrationLedger({ now });

describeLedgerContract('InMemoryMigrationLedger', inMemory);
describeRecordClaimContract('InMemoryMigrationLedger', inMemory);
