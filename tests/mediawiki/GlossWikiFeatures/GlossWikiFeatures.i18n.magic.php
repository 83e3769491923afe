<?php
$magicWords = [];
$magicWords['en'] = [
	'disambiguation' => [ 0, '__DISAMBIG__' ],
	'shortdesc' => [ 0, 'shortdesc' ],
];
