// A preview before upload; the form works the same without it.
document.querySelector('input[type=file]').addEventListener('change', e => {
    const file = e.target.files[0];
    const img = document.getElementById('picture');
    if (file) { img.src = URL.createObjectURL(file); img.hidden = false; }
});
