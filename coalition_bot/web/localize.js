document.querySelectorAll("time[data-local]").forEach(function (t) {
  var when = new Date(t.getAttribute("datetime"));
  t.textContent = new Intl.DateTimeFormat(undefined, {weekday: "short", day: "numeric",
    month: "short", year: "numeric", hour: "2-digit", minute: "2-digit"}).format(when);
});
var zone = document.getElementById("zone");
if (zone) { zone.textContent = Intl.DateTimeFormat().resolvedOptions().timeZone; }
