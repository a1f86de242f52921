// duijie 页面脚本：页面不依赖脚本也能使用；这里只做两件小事。
// Pages work without script; this only adds two conveniences.
(function () {
  "use strict";
  // 带 data-confirm 的按钮：提交前确认 · confirm before submitting.
  document.addEventListener("submit", function (ev) {
    var btn = ev.submitter;
    var msg = (btn && btn.getAttribute("data-confirm")) ||
      ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      ev.preventDefault();
    }
  });
  // 筛选下拉框改变后自动提交 · filter selects submit on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
})();
