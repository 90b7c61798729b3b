// Lets `tsc` type `import text from "./x.conf" with { type: "text" }`; Bun and Deno already
// know that a text import is a string.
declare module "*.conf" {
  const text: string;
  export default text;
}
