// Kiosk mode on the tablet: a button that takes the page full screen (no address bar, no
// tabs), shown only where the browser can do it and the page is not full screen already
// (also not when it runs as an installed app with display: fullscreen).
export function fullscreenButton(btn) {
  const root = document.documentElement;
  const can = !!(document.fullscreenEnabled && root.requestFullscreen);
  const installed = matchMedia('(display-mode: fullscreen)');
  const update = () => {
    btn.hidden = !can || !!document.fullscreenElement || installed.matches;
  };
  btn.addEventListener('click', () => {
    root.requestFullscreen({ navigationUI: 'hide' }).catch(() => {});
  });
  document.addEventListener('fullscreenchange', update);
  installed.addEventListener?.('change', update);
  update();
}
