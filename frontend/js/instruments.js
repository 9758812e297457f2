// The instruments a player can pick, with the names people read.

export const INSTRUMENTS = { drum: "Drum", guitar: "Guitar", piano: "Piano", violin: "Violin" };
export const NO_INSTRUMENT = "select"; // what the server gives a new player

export function instrumentName(instrument) {
  if (instrument === NO_INSTRUMENT) return "No instrument yet";
  return INSTRUMENTS[instrument] ?? instrument;
}
