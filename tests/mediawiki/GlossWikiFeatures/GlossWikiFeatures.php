<?php
/**
 * __DISAMBIG__ sets the `disambiguation` page property (the parser stores every
 * double-underscore word it knows as a page property), and {{#shortdesc:TEXT}}
 * sets `wikibase-shortdesc`, as on Wikipedia.
 */
class GlossWikiFeatures {
	public static function onGetDoubleUnderscoreIDs( array &$ids ) {
		$ids[] = 'disambiguation';
	}

	public static function onParserFirstCallInit( Parser $parser ) {
		$parser->setFunctionHook( 'shortdesc', [ self::class, 'shortdesc' ] );
	}

	public static function shortdesc( Parser $parser, $text = '' ) {
		$parser->getOutput()->setPageProperty( 'wikibase-shortdesc', trim( (string)$text ) );
		return '';
	}
}
