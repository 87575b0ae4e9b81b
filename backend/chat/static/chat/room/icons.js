// Icons drawn as SVG, so they need no emoji font: the room directory and the sidebar use them.

const SVG = "http://www.w3.org/2000/svg";

function svgElement(doc, tag, attributes) {
  const node = doc.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

// A small padlock, for private rooms.
export function lockIcon(doc) {
  const svg = svgElement(doc, "svg", {
    class: "lock",
    viewBox: "0 0 12 14",
    width: "11",
    height: "13",
    "aria-hidden": "true",
  });
  svg.append(
    svgElement(doc, "path", {
      d: "M3 6V4a3 3 0 0 1 6 0v2",
      fill: "none",
      stroke: "currentColor",
      "stroke-width": "1.6",
    }),
    svgElement(doc, "rect", { x: "1", y: "6", width: "10", height: "8", rx: "1.5", fill: "currentColor" }),
  );
  return svg;
}
