// Redoc's sidebar shows Redocly's logo from their CDN; nothing in the studio loads from outside, so that one
// image is taken from the studio itself (Redoc has no option to leave it out).
"use strict";
(function () {
  const LOCAL = "/static/favicon.svg";
  const local = (v) => (typeof v === "string" && v.startsWith("https://cdn.redoc.ly/") ? LOCAL : v);
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true, enumerable: src.enumerable, get() { return src.get.call(this); },
    set(v) { src.set.call(this, local(v)); },
  });
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    return setAttribute.call(this, name, this instanceof HTMLImageElement && name === "src" ? local(value) : value);
  };
})();
