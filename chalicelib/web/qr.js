/* A small QR Code encoder (ISO/IEC 18004): byte mode (UTF-8), error correction level M,
   versions 1 to 40, automatic mask choice. Written for Hearth so invite links are drawn in
   the browser and never sent to a QR service. Written from the standard's algorithm, in the
   shape of Project Nayuki's MIT-licensed reference; a browser test checks it against fixed
   matrices made by an independent encoder.

   HearthQR.encode(text[, mask]) -> {size, version, mask, dark(x, y)}
   HearthQR.draw(canvas, qr, scale) draws it with a 4-module quiet zone. */
(function () {
  "use strict";

  // Level M: error correction codewords per block and number of blocks, by version (index 0 unused).
  var ECC_PER_BLOCK = [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28];
  var BLOCKS = [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49];
  var LEVEL_M_BITS = 0; // format information bits for level M

  function bit(value, index) {
    return ((value >>> index) & 1) !== 0;
  }

  function rawModules(version) {
    var result = (16 * version + 128) * version + 64;
    if (version >= 2) {
      var align = Math.floor(version / 7) + 2;
      result -= (25 * align - 10) * align - 55;
      if (version >= 7) result -= 36;
    }
    return result;
  }

  function dataCodewords(version) {
    return Math.floor(rawModules(version) / 8) - ECC_PER_BLOCK[version] * BLOCKS[version];
  }

  // --- Reed-Solomon over GF(2^8) with the polynomial 0x11D -----------------------------------

  function gfMultiply(x, y) {
    var z = 0;
    for (var i = 7; i >= 0; i--) {
      z = (z << 1) ^ ((z >>> 7) * 0x11d);
      z ^= ((y >>> i) & 1) * x;
    }
    return z;
  }

  function rsDivisor(degree) {
    var result = [];
    for (var i = 0; i < degree - 1; i++) result.push(0);
    result.push(1);
    var root = 1;
    for (var k = 0; k < degree; k++) {
      for (var j = 0; j < result.length; j++) {
        result[j] = gfMultiply(result[j], root);
        if (j + 1 < result.length) result[j] ^= result[j + 1];
      }
      root = gfMultiply(root, 0x02);
    }
    return result;
  }

  function rsRemainder(data, divisor) {
    var result = divisor.map(function () { return 0; });
    data.forEach(function (b) {
      var factor = b ^ result.shift();
      result.push(0);
      for (var i = 0; i < divisor.length; i++) result[i] ^= gfMultiply(divisor[i], factor);
    });
    return result;
  }

  function withErrorCorrection(data, version) {
    var blocks = BLOCKS[version];
    var eccLength = ECC_PER_BLOCK[version];
    var raw = Math.floor(rawModules(version) / 8);
    var shortBlocks = blocks - (raw % blocks);
    var shortLength = Math.floor(raw / blocks);
    var divisor = rsDivisor(eccLength);
    var all = [];
    for (var i = 0, k = 0; i < blocks; i++) {
      var chunk = data.slice(k, k + shortLength - eccLength + (i < shortBlocks ? 0 : 1));
      k += chunk.length;
      var ecc = rsRemainder(chunk, divisor);
      if (i < shortBlocks) chunk.push(0);
      all.push(chunk.concat(ecc));
    }
    var result = [];
    for (var n = 0; n < all[0].length; n++) {
      for (var b = 0; b < all.length; b++) {
        if (n !== shortLength - eccLength || b >= shortBlocks) result.push(all[b][n]);
      }
    }
    return result;
  }

  // --- data --------------------------------------------------------------------------------

  function utf8(text) {
    return Array.from(new TextEncoder().encode(text));
  }

  function codewords(bytes) {
    var version = 1;
    for (; version <= 40; version++) {
      var countBits = version <= 9 ? 8 : 16;
      if (4 + countBits + bytes.length * 8 <= dataCodewords(version) * 8) break;
    }
    if (version > 40) throw new RangeError("Text too long for a QR code");
    var bits = [];
    function put(value, length) {
      for (var i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
    }
    put(0x4, 4);
    put(bytes.length, version <= 9 ? 8 : 16);
    bytes.forEach(function (b) { put(b, 8); });
    var capacity = dataCodewords(version) * 8;
    put(0, Math.min(4, capacity - bits.length));
    put(0, (8 - (bits.length % 8)) % 8);
    for (var pad = 0xec; bits.length < capacity; pad ^= 0xec ^ 0x11) put(pad, 8);
    var out = [];
    for (var j = 0; j < bits.length; j += 8) {
      var value = 0;
      for (var m = 0; m < 8; m++) value = (value << 1) | bits[j + m];
      out.push(value);
    }
    return { version: version, data: out };
  }

  // --- the symbol --------------------------------------------------------------------------

  function Symbol(version) {
    this.version = version;
    this.size = version * 4 + 17;
    this.modules = [];
    this.fixed = [];
    for (var y = 0; y < this.size; y++) {
      this.modules.push(new Array(this.size).fill(false));
      this.fixed.push(new Array(this.size).fill(false));
    }
  }

  Symbol.prototype.set = function (x, y, dark) {
    this.modules[y][x] = dark;
    this.fixed[y][x] = true;
  };

  Symbol.prototype.alignmentPositions = function () {
    if (this.version === 1) return [];
    var count = Math.floor(this.version / 7) + 2;
    var step = Math.floor((this.version * 8 + count * 3 + 5) / (count * 4 - 4)) * 2;
    var result = [6];
    for (var pos = this.size - 7; result.length < count; pos -= step) result.splice(1, 0, pos);
    return result;
  };

  Symbol.prototype.drawFunctionPatterns = function () {
    var size = this.size;
    for (var i = 0; i < size; i++) {
      this.set(6, i, i % 2 === 0);
      this.set(i, 6, i % 2 === 0);
    }
    this.drawFinder(3, 3);
    this.drawFinder(size - 4, 3);
    this.drawFinder(3, size - 4);
    var positions = this.alignmentPositions();
    var last = positions.length - 1;
    for (var a = 0; a < positions.length; a++) {
      for (var b = 0; b < positions.length; b++) {
        if ((a === 0 && b === 0) || (a === 0 && b === last) || (a === last && b === 0)) continue;
        this.drawAlignment(positions[a], positions[b]);
      }
    }
    this.drawFormat(0);
    this.drawVersion();
  };

  Symbol.prototype.drawFinder = function (x, y) {
    for (var dy = -4; dy <= 4; dy++) {
      for (var dx = -4; dx <= 4; dx++) {
        var distance = Math.max(Math.abs(dx), Math.abs(dy));
        var xx = x + dx;
        var yy = y + dy;
        if (xx >= 0 && xx < this.size && yy >= 0 && yy < this.size) this.set(xx, yy, distance !== 2 && distance !== 4);
      }
    }
  };

  Symbol.prototype.drawAlignment = function (x, y) {
    for (var dy = -2; dy <= 2; dy++) {
      for (var dx = -2; dx <= 2; dx++) this.set(x + dx, y + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  };

  Symbol.prototype.drawFormat = function (mask) {
    var data = (LEVEL_M_BITS << 3) | mask;
    var rem = data;
    for (var i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    var bits = ((data << 10) | rem) ^ 0x5412;
    var size = this.size;
    for (var a = 0; a <= 5; a++) this.set(8, a, bit(bits, a));
    this.set(8, 7, bit(bits, 6));
    this.set(8, 8, bit(bits, 7));
    this.set(7, 8, bit(bits, 8));
    for (var b = 9; b < 15; b++) this.set(14 - b, 8, bit(bits, b));
    for (var c = 0; c < 8; c++) this.set(size - 1 - c, 8, bit(bits, c));
    for (var d = 8; d < 15; d++) this.set(8, size - 15 + d, bit(bits, d));
    this.set(8, size - 8, true);
  };

  Symbol.prototype.drawVersion = function () {
    if (this.version < 7) return;
    var rem = this.version;
    for (var i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    var bits = (this.version << 12) | rem;
    for (var j = 0; j < 18; j++) {
      var dark = bit(bits, j);
      var a = this.size - 11 + (j % 3);
      var b = Math.floor(j / 3);
      this.set(a, b, dark);
      this.set(b, a, dark);
    }
  };

  Symbol.prototype.drawCodewords = function (data) {
    var size = this.size;
    var i = 0;
    for (var right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (var vert = 0; vert < size; vert++) {
        for (var j = 0; j < 2; j++) {
          var x = right - j;
          var upward = ((right + 1) & 2) === 0;
          var y = upward ? size - 1 - vert : vert;
          if (!this.fixed[y][x] && i < data.length * 8) {
            this.modules[y][x] = bit(data[i >>> 3], 7 - (i & 7));
            i++;
          }
        }
      }
    }
  };

  function masked(mask, x, y) {
    switch (mask) {
      case 0: return (x + y) % 2 === 0;
      case 1: return y % 2 === 0;
      case 2: return x % 3 === 0;
      case 3: return (x + y) % 3 === 0;
      case 4: return (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0;
      case 5: return ((x * y) % 2) + ((x * y) % 3) === 0;
      case 6: return (((x * y) % 2) + ((x * y) % 3)) % 2 === 0;
      default: return (((x + y) % 2) + ((x * y) % 3)) % 2 === 0;
    }
  }

  Symbol.prototype.applyMask = function (mask) {
    for (var y = 0; y < this.size; y++) {
      for (var x = 0; x < this.size; x++) {
        if (!this.fixed[y][x] && masked(mask, x, y)) this.modules[y][x] = !this.modules[y][x];
      }
    }
  };

  // Penalty rules N1..N4 of the standard, used to pick the mask.
  Symbol.prototype.penalty = function () {
    var size = this.size;
    var modules = this.modules;
    var result = 0;

    function addHistory(length, history) {
      if (history[0] === 0) length += size; // the light border before the first run
      history.pop();
      history.unshift(length);
    }
    function countFinderLike(history) {
      var n = history[1];
      var core = n > 0 && history[2] === n && history[3] === n * 3 && history[4] === n && history[5] === n;
      return (core && history[0] >= n * 4 && history[6] >= n ? 1 : 0) + (core && history[6] >= n * 4 && history[0] >= n ? 1 : 0);
    }
    function terminate(color, length, history) {
      if (color) {
        addHistory(length, history);
        length = 0;
      }
      length += size;
      addHistory(length, history);
      return countFinderLike(history);
    }
    function line(get) {
      var color = false;
      var run = 0;
      var history = [0, 0, 0, 0, 0, 0, 0];
      var score = 0;
      for (var i = 0; i < size; i++) {
        if (get(i) === color) {
          run++;
          if (run === 5) score += 3;
          else if (run > 5) score++;
        } else {
          addHistory(run, history);
          if (!color) score += countFinderLike(history) * 40;
          color = get(i);
          run = 1;
        }
      }
      return score + terminate(color, run, history) * 40;
    }
    for (var y = 0; y < size; y++) result += line(function (x) { return modules[y][x]; });
    for (var x = 0; x < size; x++) result += line(function (yy) { return modules[yy][x]; });
    for (var by = 0; by < size - 1; by++) {
      for (var bx = 0; bx < size - 1; bx++) {
        var c = modules[by][bx];
        if (c === modules[by][bx + 1] && c === modules[by + 1][bx] && c === modules[by + 1][bx + 1]) result += 3;
      }
    }
    var dark = 0;
    modules.forEach(function (row) { row.forEach(function (m) { if (m) dark++; }); });
    var total = size * size;
    result += (Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1) * 10;
    return result;
  };

  function encode(text, forcedMask) {
    var coded = codewords(utf8(String(text)));
    var symbol = new Symbol(coded.version);
    symbol.drawFunctionPatterns();
    symbol.drawCodewords(withErrorCorrection(coded.data, coded.version));
    var mask = forcedMask;
    if (mask === undefined || mask === null) {
      var best = Infinity;
      for (var m = 0; m < 8; m++) {
        symbol.applyMask(m);
        symbol.drawFormat(m);
        var score = symbol.penalty();
        if (score < best) {
          best = score;
          mask = m;
        }
        symbol.applyMask(m);
      }
    }
    symbol.applyMask(mask);
    symbol.drawFormat(mask);
    return {
      size: symbol.size,
      version: symbol.version,
      mask: mask,
      dark: function (x, y) {
        return symbol.modules[y][x];
      },
      rows: function () {
        return symbol.modules.map(function (row) {
          return row.map(function (m) { return m ? "1" : "0"; }).join("");
        });
      },
    };
  }

  function draw(canvas, qr, scale) {
    var border = 4;
    var pixels = (qr.size + border * 2) * scale;
    canvas.width = pixels;
    canvas.height = pixels;
    var context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, pixels, pixels);
    context.fillStyle = "#000000";
    for (var y = 0; y < qr.size; y++) {
      for (var x = 0; x < qr.size; x++) {
        if (qr.dark(x, y)) context.fillRect((x + border) * scale, (y + border) * scale, scale, scale);
      }
    }
  }

  window.HearthQR = { encode: encode, draw: draw };
})();
