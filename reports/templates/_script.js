// Sorting and filtering with no network: click a header to sort, type to filter rows.
(function () {
  function cellValue(row, index) {
    var cell = row.children[index];
    if (!cell) return "";
    var key = cell.getAttribute("data-sort");
    return key !== null ? key : cell.textContent.trim();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, index) {
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var ascending = th.getAttribute("data-order") !== "asc";
        table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("data-order"); });
        th.setAttribute("data-order", ascending ? "asc" : "desc");
        rows.sort(function (a, b) {
          var x = cellValue(a, index), y = cellValue(b, index);
          var nx = parseFloat(x), ny = parseFloat(y);
          var result = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, "zh-CN");
          return ascending ? result : -result;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  document.querySelectorAll("[data-filter-for]").forEach(function (control) {
    var table = document.getElementById(control.getAttribute("data-filter-for"));
    var controls = document.querySelectorAll("[data-filter-for='" + table.id + "']");
    function apply() {
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var shown = true;
        controls.forEach(function (c) {
          var wanted = c.value.trim().toLowerCase();
          if (!wanted) return;
          var field = c.getAttribute("data-field");
          var text = field ? (row.getAttribute("data-" + field) || "") : row.textContent;
          if (text.toLowerCase().indexOf(wanted) < 0) shown = false;
        });
        row.style.display = shown ? "" : "none";
      });
    }
    control.addEventListener("input", apply);
    control.addEventListener("change", apply);
  });
  // A file over the upload limit is refused here, before it is sent, with the limit in words.
  var upload = document.getElementById("upload-form");
  if (upload) {
    var input = upload.querySelector("input[type=file][data-max-bytes]");
    var refused = document.getElementById("upload-refused");
    upload.addEventListener("submit", function (event) {
      var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
      var file = input.files && input.files[0];
      if (!file || !limit || file.size <= limit) return;
      event.preventDefault();
      refused.textContent = "文件“" + file.name + "”有 " + (file.size / 1048576).toFixed(1) +
        " MB，超过 " + input.getAttribute("data-limit-text") + " 的上限，没有上传。" +
        "请删去与填报无关的工作表、图片后另存，再上传。";
      refused.hidden = false;
    });
  }
})();
