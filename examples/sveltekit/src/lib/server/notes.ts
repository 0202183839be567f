// The app's own data: notes per address, in memory. The form action and the endpoint that add
// notes are what a cross-site request must not be able to trigger.
const notes = new Map<string, string[]>();

export function notesOf(address: string): string[] {
  return notes.get(address) ?? [];
}

export function addNote(address: string, text: string): void {
  const list = notes.get(address) ?? [];
  list.push(text);
  notes.set(address, list.slice(-20));
}
