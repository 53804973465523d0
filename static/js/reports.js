// Report charts (Apache ECharts, served from static/vendor). The data are the page's own
// figures (json_script #report-data); every bar or point links to the complaints behind it.
(function () {
  var dataEl = document.getElementById("report-data");
  if (!dataEl || !window.echarts) { return; }
  var f = JSON.parse(dataEl.textContent);
  var L = document.getElementById("report-labels").dataset;
  var charts = [];

  function go(params) {
    var url = params && params.data && params.data.url;
    if (url) { window.location.href = url; }
  }

  function draw(key, option) {
    var el = document.querySelector('[data-chart="' + key + '"]');
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.animation = false;
    option.tooltip = option.tooltip || { trigger: "item" };
    chart.setOption(option);
    chart.on("click", go);
    el.dataset.rendered = "1";
    charts.push(chart);
  }

  var days = f.received.days.map(function (d) { return d.slice(5); });
  draw("received", {
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 0 },
    grid: { left: 40, right: 10, top: 40, bottom: 30 },
    xAxis: { type: "category", data: days },
    yAxis: { type: "value", minInterval: 1 },
    series: f.received.by_channel.map(function (c) {
      return { name: c.label, type: "bar", stack: "all", cursor: "pointer",
               data: c.per_day.map(function (cell) { return { value: cell.count, url: cell.url }; }) };
    })
  });
  draw("categories", {
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "65%"], cursor: "pointer",
               data: f.received.by_category.map(function (c) {
                 return { name: c.label, value: c.count, url: c.url };
               }) }]
  });
  draw("backlog", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 10, top: 40, bottom: 30 },
    xAxis: { type: "category", data: f.backlog.by_status.map(function (s) { return s.label; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: f.backlog.by_age.map(function (a, i) {
      return { name: a.label, type: "bar", stack: "age", cursor: "pointer",
               data: f.backlog.by_status.map(function (s) {
                 return { value: s.cells[i].count, url: s.cells[i].url };
               }) };
    })
  });
  draw("compliance", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 130, right: 10, top: 40, bottom: 20 },
    yAxis: { type: "category", data: f.compliance.map(function (c) { return c.label; }) },
    xAxis: { type: "value", minInterval: 1 },
    color: ["#2f6f3e", "#b42318"],
    series: [
      { name: L.met, type: "bar", stack: "c", cursor: "pointer",
        data: f.compliance.map(function (c) { return { value: c.met, url: c.met_url }; }) },
      { name: L.breached, type: "bar", stack: "c", cursor: "pointer",
        data: f.compliance.map(function (c) { return { value: c.breached, url: c.breached_url }; }) }
    ]
  });
  var d = f.durations;
  draw("durations", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 10, top: 40, bottom: 30 },
    xAxis: { type: "category", data: [L.ack, L.resolution] },
    yAxis: { type: "value" },
    series: [["mean_hours", L.mean], ["median_hours", L.median], ["p90_hours", L.p90]].map(function (m) {
      return { name: m[1], type: "bar", data: [d.acknowledgement[m[0]], d.resolution[m[0]]] };
    })
  });
  draw("escalations", {
    grid: { left: 40, right: 10, top: 10, bottom: 30 },
    xAxis: { type: "category", data: f.escalations.map(function (e) { return L.level + " " + e.level; }) },
    yAxis: { type: "value", minInterval: 1 },
    color: ["#a04400"],
    series: [{ type: "bar", cursor: "pointer",
               data: f.escalations.map(function (e) { return { value: e.count, url: e.url }; }) }]
  });
  function horizontal(key, rows) {
    draw(key, {
      grid: { left: 150, right: 20, top: 10, bottom: 20 },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.label; }),
               axisLabel: { width: 140, overflow: "truncate" } },
      xAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", cursor: "pointer", name: L.complaints,
                 data: rows.map(function (r) { return { value: r.count, url: r.url }; }) }]
    });
  }
  horizontal("top_categories", f.top_categories);
  horizontal("top_departments", f.top_departments);

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
