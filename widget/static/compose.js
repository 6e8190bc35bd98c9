// Compose behaviours htmx does not cover: Enter sends, live SMS counter, pictures (button
// and paste), template insertion, recipient chips and picker keys, click-to-dial.
// No inline scripts: the CSP forbids them. Everything is delegated from document, so it
// works for forms htmx swaps in later.
(function () {
  "use strict";

  // Mirror of widget/compose/segments.py (GSM-7 basic + extension tables, then UCS-2).
  var GSM7_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXTENSION = "\f^{}\\[~]|€";

  function pack(costs, single, perSegment) {
    var total = costs.reduce(function (a, b) { return a + b; }, 0);
    if (total === 0) return 0;
    if (total <= single) return 1;
    var segments = 1, used = 0;
    costs.forEach(function (cost) {
      if (used + cost > perSegment) { segments += 1; used = 0; }
      used += cost;
    });
    return segments;
  }

  function countSegments(text) {
    var chars = Array.from(text); // code points: an emoji is one entry here
    var gsm = chars.every(function (ch) {
      return GSM7_BASIC.indexOf(ch) !== -1 || GSM7_EXTENSION.indexOf(ch) !== -1;
    });
    if (gsm) {
      var septets = chars.map(function (ch) { return GSM7_EXTENSION.indexOf(ch) !== -1 ? 2 : 1; });
      return { encoding: "GSM-7", characters: text.length, segments: pack(septets, 160, 153) };
    }
    var units = chars.map(function (ch) { return ch.length; }); // surrogate pairs cost 2
    return { encoding: "UCS-2", characters: text.length, segments: pack(units, 70, 67) };
  }

  function updateCounter(textarea) {
    var box = textarea.closest(".message-box");
    var counter = box && box.querySelector("[data-counter]");
    if (!counter) return;
    // Browsers send line breaks as CRLF but the server counts one, as this does.
    var count = countSegments(textarea.value.replace(/\r\n/g, "\n"));
    var limit = Number(textarea.dataset.limit || 1000);
    var over = count.characters - limit;
    // Pages are not SMS: no segments to count.
    var text = count.characters + "/" + limit;
    if (!textarea.hasAttribute("data-pager")) {
      text += " · " + count.segments + " SMS" + (count.encoding === "UCS-2" ? " · Unicode" : "");
    }
    if (over > 0) text += " · " + over + " over the limit";
    counter.textContent = text;
    counter.classList.toggle("over-limit", over > 0);
    textarea.setAttribute("aria-invalid", over > 0 ? "true" : "false");
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "compose-text") updateCounter(event.target);
  });

  // Enter sends, Shift+Enter is a new line; in the recipient box Enter adds a chip.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || event.isComposing) {
      if (target.id === "recipient-query") pickerKeys(event);
      return;
    }
    if (target.matches("textarea[data-enter-sends]") && !event.shiftKey) {
      event.preventDefault();
      var form = target.closest("form");
      if (form) form.requestSubmit();
    } else if (target.id === "recipient-query") {
      event.preventDefault();
      var active = document.querySelector("#recipient-options [data-picker-option].active");
      var first = document.querySelector("#recipient-options [data-picker-option]");
      if (active) active.click();
      // A typed name is not an address: Enter takes the suggestion shown first, as a
      // person reading "Sam Okafor" under "Sam" expects. Digits stay a raw number.
      else if (first && /\p{L}/u.test(target.value)) first.click();
      else addTypedRecipient(target);
    }
  });

  function pickerKeys(event) {
    var options = Array.from(document.querySelectorAll("#recipient-options [data-picker-option]"));
    if (event.key === "Escape") {
      document.getElementById("recipient-options").innerHTML = "";
      return;
    }
    if ((event.key !== "ArrowDown" && event.key !== "ArrowUp") || !options.length) return;
    event.preventDefault();
    var current = options.findIndex(function (o) { return o.classList.contains("active"); });
    var next = event.key === "ArrowDown" ? current + 1 : current - 1;
    next = (next + options.length) % options.length;
    options.forEach(function (o, i) {
      o.classList.toggle("active", i === next);
      o.setAttribute("aria-selected", i === next ? "true" : "false");
    });
  }

  function addTypedRecipient(input) {
    var value = input.value.trim();
    if (!value || !window.htmx) return;
    var url = input.dataset.chipUrl + (input.dataset.chipUrl.indexOf("?") === -1 ? "?" : "&") +
      "to=" + encodeURIComponent(value);
    // The chips list is the source, not the box: a suggestion request still in flight
    // for the box is neither aborted by this one nor queued in front of it.
    window.htmx.ajax("GET", url, { source: "#recipient-chips", target: "#recipient-chips", swap: "beforeend" });
  }

  // Suggestions that answer a query since emptied (a chip was taken) are stale: drop them.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "recipient-options") return;
    var query = document.getElementById("recipient-query");
    if (query && !query.value.trim()) event.detail.shouldSwap = false;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "recipient-chips") {
      // A chip arrived: clear the search, and drop a second chip for the same address.
      var query = document.getElementById("recipient-query");
      if (query) query.value = "";
      var options = document.getElementById("recipient-options");
      if (options) options.innerHTML = "";
      var seen = {};
      target.querySelectorAll(".chip").forEach(function (chip) {
        var key = chip.dataset.recipient;
        if (seen[key]) chip.remove();
        seen[key] = true;
      });
    }
    if (target && target.id === "recipient-options") {
      var query2 = document.getElementById("recipient-query");
      if (query2) query2.setAttribute("aria-expanded", target.children.length ? "true" : "false");
    }
  });

  // Pictures: the Attach button opens the file chooser; a pasted image becomes the file.
  function showAttachment(input) {
    var box = input.closest(".message-box");
    var shown = box && box.querySelector("[data-attachment-name]");
    if (!shown) return;
    var file = input.files && input.files[0];
    shown.hidden = !file;
    shown.querySelector("[data-attachment-label]").textContent = file ? "Picture: " + file.name : "";
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-attachment-input]")) showAttachment(event.target);
  });

  document.addEventListener("paste", function (event) {
    if (event.target.id !== "compose-text" || !event.clipboardData) return;
    var input = event.target.closest(".message-box").querySelector("[data-attachment-input]");
    var image = Array.from(event.clipboardData.files || []).find(function (f) {
      return /^image\/(jpeg|png|gif)$/.test(f.type);
    });
    if (!input || !image) return;
    event.preventDefault();
    var transfer = new DataTransfer();
    transfer.items.add(new File([image], image.name || "pasted-picture.png", { type: image.type }));
    input.files = transfer.files;
    showAttachment(input);
  });

  // The host CRM page dials: it gets the number by postMessage, addressed to its origin only.
  function hostOrigin() {
    if (window.parent === window) return null;
    if (location.ancestorOrigins && location.ancestorOrigins.length) return location.ancestorOrigins[0];
    try { return document.referrer ? new URL(document.referrer).origin : null; } catch (e) { return null; }
  }

  document.addEventListener("click", function (event) {
    var attach = event.target.closest("[data-attach-for]");
    if (attach) {
      var input = document.getElementById(attach.dataset.attachFor);
      if (input) input.click();
      return;
    }
    var clear = event.target.closest("[data-clear-attachment]");
    if (clear) {
      var fileInput = clear.closest(".message-box").querySelector("[data-attachment-input]");
      fileInput.value = "";
      showAttachment(fileInput);
      return;
    }
    var remove = event.target.closest("[data-remove-chip]");
    if (remove) {
      remove.closest(".chip").remove();
      return;
    }
    // Contract with the templates picker: insert the text at the caret, then say "input".
    var insert = event.target.closest("[data-insert-text]");
    if (insert) {
      var textarea = document.getElementById("compose-text");
      if (!textarea) return;
      var text = insert.dataset.insertText;
      var start = textarea.selectionStart, end = textarea.selectionEnd;
      textarea.setRangeText(text, start, end, "end");
      textarea.focus();
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      return;
    }
    var call = event.target.closest("[data-call-number]");
    if (call) {
      var origin = hostOrigin();
      if (!origin || origin === "null") return; // not framed: the tel: link dials
      event.preventDefault();
      window.parent.postMessage({ type: "sidetalk:call", number: call.dataset.callNumber }, origin);
    }
  });

  // After a send the server swapped in the All list; show the filters that match it.
  document.body.addEventListener("sidetalk:sent", function () {
    var filters = document.getElementById("filters");
    if (!filters) return;
    var all = filters.querySelector('input[name="tab"][value="all"]');
    if (all) all.checked = true;
    var search = filters.querySelector('input[name="q"]');
    if (search) search.value = "";
    var unread = filters.querySelector('input[name="unread"]');
    if (unread) unread.checked = false;
  });
})();
