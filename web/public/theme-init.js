// Applies the theme before the first paint so a dark page never flashes white. A separate file,
// not an inline script: the agent's Content-Security-Policy allows scripts from its origin only.
(function () {
  try {
    var stored = localStorage.getItem('perry.theme');
    var dark = stored === 'dark' || (stored !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
    document.documentElement.classList.toggle('dark', dark);
  } catch (e) {}
})();
