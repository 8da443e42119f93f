/* Dashboard charts: dossier counts (paper, digitized, signed, archived) by procedure, field and month. */
(() => {
  "use strict";
  const node = document.getElementById("chart-data");
  if (!node || !window.Chart) return;
  const data = JSON.parse(node.textContent || "{}");
  const COLOURS = { paper: "#b8c2cc", digitized: "#5b9bd5", signed: "#2f6fb0", archived: "#1e7b45" };

  function draw(id, series) {
    const canvas = document.getElementById(id);
    if (!canvas || !series) return;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: series.datasets.map((d) => ({ label: d.label, data: d.data, backgroundColor: COLOURS[d.key] })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: data.axis } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  draw("chart-procedure", data.procedure);
  draw("chart-field", data.field);
  draw("chart-month", data.month);
})();
