/* On a phone a figure shrinks to the width of the text column, where its labels are too
   small to read. Each figure and plot links to its own image file: a tap opens it full size,
   where the phone's usual pinch-zoom works. Images already inside a link are left alone, and
   so are inline (data:) images, which browsers refuse to open as a page of their own. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("figure img, .cell_output img").forEach(function (img) {
    var source = img.getAttribute("src") || "";
    if (img.closest("a") || source === "" || source.indexOf("data:") === 0) {
      return;
    }
    var link = document.createElement("a");
    link.href = img.src;
    link.className = "gllm-figure-link";
    link.title = "Open the figure full size";
    img.parentNode.insertBefore(link, img);
    link.appendChild(img);
  });
});
