/** Module shapes Vite provides to the renderer: imported SVG icons become their URL. */
declare module '*.svg' {
  const url: string;
  export default url;
}
