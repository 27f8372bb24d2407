/* Money and counts as the server writes them (merchants.money.format_money): one rule for every
   page that writes amounts itself (the till, the dashboard). `rule` is the server's
   money_format in the reader's language: {label: "Rp", thousands: ".", point: ",", decimals: 0}.
   Amounts arrive as decimal strings; they become numbers here only to be written. */
(function (global) {
  "use strict";

  // A number rounded to `decimals` places, grouped in thousands, with the language's marks.
  function number(rule, value, decimals) {
    const n = Number(value || 0);
    const fixed = Math.abs(n).toFixed(decimals);
    const parts = fixed.split(".");
    const whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, rule.thousands);
    const sign = n < 0 && Number(fixed) !== 0 ? "-" : "";
    return sign + whole + (parts[1] ? rule.point + parts[1] : "");
  }

  // "Rp 46.000", "-Rp 5.000", "USD 1,234.50".
  function money(rule, value) {
    const text = number(rule, value, rule.decimals);
    return text.charAt(0) === "-" ? "-" + rule.label + " " + text.slice(1) : rule.label + " " + text;
  }

  global.PosMoney = { number: number, money: money };
})(typeof window !== "undefined" ? window : globalThis);
