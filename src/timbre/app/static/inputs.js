// Getting things in and out of the page: files dropped anywhere, text to the clipboard.

/** Call `onFile(file)` for a file dropped anywhere on the page; show `overlay` while one is dragged over. */
export function wireFileDrop(overlay, onFile) {
  let depth = 0;
  const hasFiles = (event) => Array.from(event.dataTransfer ? event.dataTransfer.types : []).includes("Files");
  const hide = () => { depth = 0; overlay.hidden = true; };
  document.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;  // a result row dragged out is not a drop of ours
    depth += 1;
    overlay.hidden = false;
  });
  document.addEventListener("dragleave", (event) => { if (hasFiles(event) && --depth <= 0) hide(); });
  document.addEventListener("dragover", (event) => { if (hasFiles(event)) event.preventDefault(); });
  document.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    hide();
    const file = event.dataTransfer.files[0];
    if (file) onFile(file);
  });
}

/** Put `text` on the clipboard (the old execCommand way where the Clipboard API is refused). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    const area = Object.assign(document.createElement("textarea"), {value: text});
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}
