// A menu photo from a phone: made smaller in the browser before it is sent, so that the box's
// limit (2 MB) is met without the owner resizing anything.
export const MAX_IMAGE = 2 * 1024 * 1024;
const MAX_SIDE = 2048; // a menu photo needs no more (the box makes its own smaller copies)

// A photo over 2 MB, as phones take them, drawn again at most 2048 px on its long side as a
// JPEG (turned the way the camera held it), smaller still until it fits. A file the browser
// cannot read as a picture goes as it is, and the box says what is wrong with it.
export async function shrinkPhoto(file) {
  if (file.size <= MAX_IMAGE) return file;
  let bmp;
  try {
    bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return file;
  }
  let scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
  for (let i = 0; i < 8; i++) {
    const w = Math.max(1, Math.round(bmp.width * scale));
    const hgt = Math.max(1, Math.round(bmp.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = hgt;
    const g = canvas.getContext('2d');
    g.fillStyle = '#fff'; // a transparent PNG's background (JPEG has none)
    g.fillRect(0, 0, w, hgt);
    g.drawImage(bmp, 0, 0, w, hgt);
    const blob = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', i < 2 ? 0.86 : 0.8));
    if (blob && blob.size <= MAX_IMAGE) {
      bmp.close();
      return new File([blob], file.name.replace(/\.\w+$/, '') + '.jpg', { type: 'image/jpeg' });
    }
    scale *= 0.8;
  }
  bmp.close();
  return file;
}

