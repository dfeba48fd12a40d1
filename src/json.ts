/** The value of a JSON text, or undefined when it is not JSON: for messages a peer may garble. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
