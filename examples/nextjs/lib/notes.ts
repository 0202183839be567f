// The app's data: notes per address, in memory (one process), shared like the auth (globalThis).

const g = globalThis as { exampleNotes?: Map<string, string[]> };
const notes = (g.exampleNotes ??= new Map());

export function listNotes(address: string): string[] {
  return notes.get(address) ?? [];
}

export function addNote(address: string, text: string): void {
  const clean = text.trim().slice(0, 200);
  if (clean) notes.set(address, [...listNotes(address), clean]);
}
