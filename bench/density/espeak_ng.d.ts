// Types for the part of the espeak-ng npm package (an Emscripten build; it ships none) the bench uses.
declare module 'espeak-ng' {
  interface ESpeakNgInstance {
    FS: { readFile(path: string): Uint8Array };
  }
  export default function ESpeakNg(options: { arguments: string[] }): Promise<ESpeakNgInstance>;
}
