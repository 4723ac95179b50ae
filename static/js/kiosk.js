/* Kiosk mode: one work at a time, advancing every data-interval seconds and looping; ←/→ and
   space, swipes and the buttons move by hand (and restart the clock); a button asks for full screen. */
(function () {
  "use strict";
  const kiosk = document.getElementById("kiosk");
  const slides = [...kiosk.querySelectorAll(".slide")];
  const intervalMs = Number(kiosk.dataset.interval) * 1000;
  const SWIPE_PX = 40;
  let index = 0;
  let timer = null;

  function show(next) {
    if (!slides.length) return;
    slides[index].hidden = true;
    index = (next + slides.length) % slides.length;
    slides[index].hidden = false;
    kiosk.dataset.index = String(index);
    restart();
  }

  function restart() {
    clearTimeout(timer);
    if (slides.length > 1) timer = setTimeout(() => show(index + 1), intervalMs);
  }

  document.getElementById("kiosk-prev").addEventListener("click", () => show(index - 1));
  document.getElementById("kiosk-next").addEventListener("click", () => show(index + 1));
  document.addEventListener("keydown", (event) => {
    if (event.key === " " && event.target.closest("button, a")) return; // the focused control's own action
    if (event.key === "ArrowLeft") show(index - 1);
    else if (event.key === "ArrowRight" || event.key === " ") show(index + 1);
    else return;
    event.preventDefault();
  });

  let touchX = null;
  kiosk.addEventListener("touchstart", (event) => { touchX = event.changedTouches[0].clientX; }, { passive: true });
  kiosk.addEventListener("touchend", (event) => {
    if (touchX === null) return;
    const dx = event.changedTouches[0].clientX - touchX;
    touchX = null;
    if (Math.abs(dx) >= SWIPE_PX) show(dx < 0 ? index + 1 : index - 1);
  });

  const fullscreen = document.getElementById("kiosk-fullscreen");
  if (!document.fullscreenEnabled) fullscreen.hidden = true;
  fullscreen.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else kiosk.requestFullscreen().catch(() => { fullscreen.hidden = true; });
  });
  document.addEventListener("fullscreenchange", () => {
    fullscreen.textContent = document.fullscreenElement ? "Leave full screen" : "Full screen";
  });

  restart();
})();
