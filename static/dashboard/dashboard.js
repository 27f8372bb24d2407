/* The admin dashboard: fetch each panel's JSON and draw it (Chart.js, served from our static
   files). Figures arrive as decimal strings; they become numbers here only to be drawn. */
(function () {
  "use strict";

  const root = document.getElementById("dashboard");
  if (!root || !root.dataset.merchant) {
    return;
  }
  const merchant = root.dataset.merchant;
  const config = document.getElementById("dashboard-data");
  if (!config) {
    return; // no panels to draw
  }
  // From the server, in the reader's language (merchants.dashboard.dashboard_script_data): how
  // money is written (merchants.money.money_format: "Rp 46.000", "IDR 46,000") and the words.
  const server = JSON.parse(config.textContent);
  const money = server.money;
  const T = server.strings;

  const palette = ["#417690", "#79aec8", "#f5a623", "#7cb342", "#e57373", "#9575cd", "#4db6ac", "#a1887f"];
  const chartTypes = { line: "line", bar: "bar", hbar: "bar", doughnut: "doughnut" };

  // Written by the shared rule (static/backoffice/money.js).
  function format(unit, value) {
    return unit === "money" ? PosMoney.money(money, value) : PosMoney.number(money, value, 0);
  }

  function setStatus(panel, text, state) {
    panel.querySelector(".dashboard-status").textContent = text;
    panel.dataset.state = state;
  }

  function drawChart(panel, data) {
    const canvas = panel.querySelector("canvas");
    const type = data.type;
    const unit = data.unit;
    const round = type === "doughnut";
    const stacked = panel.dataset.stacked === "true";
    const colors = panel.dataset.colors ? panel.dataset.colors.split(",") : palette;
    const datasets = data.datasets.map(function (dataset, index) {
      return {
        label: dataset.label,
        data: dataset.data.map(Number),
        backgroundColor: round ? colors : colors[index % colors.length],
        borderColor: round ? "#fff" : colors[index % colors.length],
        fill: false,
        tension: 0.2,
      };
    });
    const valueAxis = {
      beginAtZero: true,
      stacked: stacked,
      ticks: { callback: function (value) { return format(unit, value); } },
    };
    const labelAxis = { stacked: stacked };
    const options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: round || datasets.length > 1 },
        tooltip: {
          callbacks: {
            label: function (context) {
              const value = round ? context.parsed : (type === "hbar" ? context.parsed.x : context.parsed.y);
              return " " + context.dataset.label + ": " + format(unit, value);
            },
          },
        },
      },
    };
    if (type === "hbar") {
      options.indexAxis = "y";
      options.scales = { x: valueAxis, y: labelAxis };
    } else if (!round) {
      options.scales = { x: labelAxis, y: valueAxis };
    }
    new window.Chart(canvas, { type: chartTypes[type], data: { labels: data.labels, datasets: datasets }, options: options });
  }

  function drawTable(panel, data) {
    const holder = panel.querySelector(".dashboard-table");
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    data.columns.forEach(function (column) {
      const cell = document.createElement("th");
      cell.textContent = column.label;
      head.appendChild(cell);
    });
    const body = table.createTBody();
    data.rows.forEach(function (row) {
      const line = body.insertRow();
      data.columns.forEach(function (column) {
        line.insertCell().textContent = row[column.key] === null ? "" : String(row[column.key]);
      });
    });
    holder.appendChild(table);
  }

  function load(panel) {
    fetch(panel.dataset.url, {
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Merchant": merchant },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error((body.error && body.error.message) || response.statusText);
          }
          return body;
        });
      })
      .then(function (data) {
        if (data.type === "table") {
          drawTable(panel, data);
        } else {
          drawChart(panel, data);
        }
        const period = data.period_from === data.period_to
          ? data.period_from
          : data.period_from + " – " + data.period_to;
        const empty = data.is_empty ? (data.type === "table" ? T.empty_table : T.empty_chart) + " " : "";
        setStatus(panel, empty + (data.note ? data.note + " " : "") + period + " (" + data.time_zone + ")", "ready");
      })
      .catch(function (error) {
        setStatus(panel, T.failed.replace("%(reason)s", error.message), "error");
      });
  }

  root.querySelectorAll("[data-panel]").forEach(load);
})();
