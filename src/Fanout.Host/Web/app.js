// Wires the page's controls to the other scripts (see index.html for their order) and starts the refreshes.
'use strict';

$('submit').onclick = submit;
$('estimate').onclick = estimate;
$('retry').onclick = retry;
$('file-input').onchange = e => chooseFile(e.target.files[0]);
const zone = $('drop-zone');
zone.ondragover = e => { e.preventDefault(); zone.classList.add('over'); };
zone.ondragleave = () => zone.classList.remove('over');
zone.ondrop = e => { e.preventDefault(); zone.classList.remove('over'); chooseFile(e.dataTransfer.files[0]); };
$('download-results').onclick = () => download('results');
$('download-errors').onclick = () => download('errors');
$('cancel').onclick = cancel;
$('more').onclick = () => refreshList(true);
$('key-button').onclick = () => askKey();
checkHealth();
setInterval(checkHealth, 10000);
refreshList();
setInterval(() => { if (!document.hidden) refreshList(); }, 5000);
