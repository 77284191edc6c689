/** Test fixtures shared by unit, integration and e2e tests. */
import { fileURLToPath } from 'node:url';

/** The Chinook sample database (MIT, see e2e/fixtures/chinook.LICENSE.md). Copy it; never write to it. */
export const chinookFixture = fileURLToPath(new URL('../e2e/fixtures/chinook.sqlite', import.meta.url));

/** Chinook's row counts, as a backup of it must hold them. */
export const chinookRowCounts: Record<string, number> = {
  Album: 347,
  Artist: 275,
  Customer: 59,
  Employee: 8,
  Genre: 25,
  Invoice: 412,
  InvoiceLine: 2240,
  MediaType: 5,
  Playlist: 18,
  PlaylistTrack: 8715,
  Track: 3503,
};
