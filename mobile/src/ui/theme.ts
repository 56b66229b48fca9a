/** Colours of the app: dark, like the terminal it leads to, with the web UI's accents. */
export const colors = {
  background: '#0b0f14',
  surface: '#141a22',
  border: '#243041',
  text: '#e6edf3',
  muted: '#8b98a9',
  accent: '#4f8cff',
  danger: '#f25f5c',
  success: '#3fb950',
  warning: '#d29922',
} as const;

export const spacing = (units: number) => units * 4;
