// Optional, for a site that shows the form in a frame (docs/form.md, "Embedding"): tells the
// framing page how tall the form's page is, so it can size the frame. Runs only where the
// frame's sandbox allows scripts; the form works the same without it. Sends one number.
(function () {
  "use strict";
  if (window.parent === window) return;
  function send() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    window.parent.postMessage({ intakeFormHeight: height }, "*");
  }
  window.addEventListener("load", send);
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.documentElement);
})();
