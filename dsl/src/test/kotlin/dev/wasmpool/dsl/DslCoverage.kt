package dev.wasmpool.dsl

import java.lang.reflect.Modifier

/** Reflection over a Java builder and a DSL scope, to prove a test table covers every option. */
internal object DslCoverage {

    /** The option names of a Java builder: its public instance methods other than `build`. */
    fun builderOptions(builder: Class<*>): Set<String> =
        builder.declaredMethods
            .filter { Modifier.isPublic(it.modifiers) && !Modifier.isStatic(it.modifiers) }
            .filter { !it.isSynthetic && it.name != "build" }
            .map { it.name }
            .toSet()

    /** The properties a DSL scope lets a block assign: its public `setX` methods, as `x`. */
    fun scopeProperties(scope: Class<*>): Set<String> =
        scope.declaredMethods
            .filter { Modifier.isPublic(it.modifiers) && it.name.startsWith("set") && it.parameterCount == 1 }
            .map { it.name.removePrefix("set").replaceFirstChar(Char::lowercaseChar) }
            .toSet()
}
